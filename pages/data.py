"""Data: import a shop's exports (upload or a path), map columns, check, import; manage shops."""

from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from core.guard import folders
from core.ingest import ingest, pii, presets
from core.ingest.plan import ImportRefused, ImportReport, IngestError, TablePlan
from core.shop import overview
from core.store import config
from core.store.store import StoreError

ui.page_guard("pages/data.py")
st.title("Data")
store = ui.current_store()

# -- shops ------------------------------------------------------------------------------------
with st.sidebar.expander("New shop"):
    with st.form("new_shop", clear_on_submit=True, border=False):
        name = st.text_input("Name", placeholder="my-shop")
        if st.form_submit_button("Create"):
            try:
                if config.shop_db_path(name).exists():
                    st.warning(f"Shop {name!r} exists already.")
                else:
                    ui.get_store(config.check_shop_name(name))
                    st.session_state[ui.SHOP_KEY] = name
                    st.rerun()
            except (config.ShopNameError, StoreError) as err:
                st.error(ui.md_escape(str(err)))

if store is None:
    st.info("Create a shop in the sidebar, then import its data here.")
    st.stop()

st.subheader(f"Shop: {store.shop}")
datasets = overview.dataset_counts(store)
for col, row in zip(st.columns(len(datasets)), datasets.itertuples()):
    col.metric(row.table.capitalize(), f"{row.rows:,}", help=row.notes)
    col.caption(row.notes)
history = overview.imports(store)
if history.empty:
    st.info("Nothing imported into this shop yet.")
else:
    with st.expander(f"Import history ({len(history)})"):
        st.dataframe(history, hide_index=True)
st.caption(f"Stored in {store.path}. Customer ids are pseudonymised on import (keyed hash); "
           "e-mails, phones, names and addresses are never stored.")

def show_report(report: ImportReport) -> None:
    """Counts, notes and every rejected row of an import or a check."""
    for t in report.tables:
        st.markdown(f"**{ui.md_escape(t.file)}** ({t.kind}, layout {ui.md_escape(t.preset)})")
        m = st.columns(6)
        m[0].metric("Lines read", f"{t.lines_read:,}")
        m[1].metric("Accepted", f"{t.accepted:,}")
        m[2].metric("Fixed", f"{t.fixed:,}")
        m[3].metric("Rejected", f"{t.rejected:,}")
        m[4].metric("Returns / cancellations", f"{t.returns:,}")
        m[5].metric("New in shop", f"{t.inserted:,}")
        for w in t.warnings:
            if "looks like the line's total" in w:
                st.warning(ui.md_escape(w))  # money that does not add up: said before anything lands
        notes = [w for w in t.warnings if "looks like the line's total" not in w]
        if t.guests:
            notes.append(f"{t.guests:,} guest lines (no customer id): counted in revenue, "
                         "left out of personalization.")
        if t.free:
            notes.append(f"{t.free:,} free lines (price 0, e.g. gifts): counted as purchases, "
                         "adding nothing to revenue.")
        if t.non_product:
            notes.append(f"{t.non_product:,} non-product lines (postage, fees) kept out of the "
                         "product catalog.")
        if t.already_present:
            notes.append(f"{t.already_present:,} lines were already in the shop and were skipped.")
        notes += [f"Fixed {n:,} x {k.replace('_', ' ')}." for k, n in t.fixes.items()]
        for note in notes:  # warnings quote the file's own column names and values
            st.caption(ui.md_escape(note))
        if t.rejections:
            frame = pd.DataFrame([r.__dict__ for r in t.rejections])
            st.dataframe(frame, hide_index=True, height=220)
            st.download_button("Download rejected rows (CSV)",
                               ui.safe_table(frame).to_csv(index=False).encode("utf-8"),
                               file_name=f"{Path(t.file).stem}-rejected.csv",
                               key=f"dl_{t.file}_{report.dry_run}")


# -- choose files -----------------------------------------------------------------------------
LAST = "data_last_report"  # (shop, file names, report) of the last check or import
IMPORTED = "data_imported_uploads"  # file ids of uploads already imported: never saved again


def show_last(names: list[str]) -> None:
    """The last check's or import's outcome, while the same files (or none, after an upload) are chosen."""
    last = st.session_state.get(LAST)
    if not last or last[:2] != (store.shop, names):
        return
    result = last[2]
    if result.dry_run:
        st.info(f"Checked {result.lines_read:,} lines in {result.seconds:.1f}s: nothing written.")
    elif result.accepted:
        st.success(f"Imported {result.accepted:,} lines into {store.shop} in "
                   f"{result.seconds:.1f}s.")
    else:
        st.error(ui.md_escape(result.refused) if result.refused
                 else "Nothing could be imported: see the rejected rows below.")
    show_report(result)


st.subheader("Import")
how = st.radio("Source", ["Upload files", "A file or folder on this computer"],
               horizontal=True, key="data_how")
paths: list[Path] = []
within = None  # a typed folder's files are checked too: a link inside may lead out of it
if how == "Upload files":
    files = st.file_uploader(
        "Orders, events, products, customers or reviews: CSV/TSV, Excel .xlsx, Parquet, JSON "
        "lines", accept_multiple_files=True, key="data_upload",
        type=["csv", "tsv", "txt", "xlsx", "parquet", "json", "jsonl", "ndjson", "gz"])
    done = st.session_state.setdefault(IMPORTED, set())
    new = [f for f in files or [] if f.file_id not in done]
    if files and not new:
        st.caption("These files are imported: remove them above or add another export.")
    if new:  # the uploader keeps its files after an import: only new ones are copied to disk
        paths = ui.save_uploads(store.shop, new)
else:
    raw = st.text_input("Path", key="data_path",
                        placeholder="/home/me/exports/orders.csv  or a folder of related tables")
    if raw.strip():
        try:  # the app reads only inside folders the owner allowed (`shoplens folders allow`)
            paths = [folders.check(raw.strip())]
            within = folders.check
        except folders.FolderNotAllowed as err:
            st.error(ui.md_escape(str(err)))
            st.stop()

names = ["(detect)"] + [p.name for p in presets.PRESETS] + ["generic"]
labels = {p.name: p.label for p in presets.PRESETS} | {"generic": "Generic (guess, then edit)",
                                                         "(detect)": "Detect automatically"}
preset = st.selectbox("Layout", names, format_func=lambda n: labels[n], key="data_preset")
if not paths:
    show_last([])  # right after an upload's import: the uploader is empty, the report stays
    st.caption("Try the demo export: `sample_data/demo_small` (a folder of four tables), or "
               "your shop's Shopify/WooCommerce orders export or UCI Online Retail files.")
    st.stop()

try:
    plans = ingest.plan_paths(store, paths, None if preset == "(detect)" else preset, within=within)
except IngestError as err:
    st.error(ui.md_escape(str(err)))
    st.stop()

# -- mapping editor ---------------------------------------------------------------------------
edited: list[TablePlan] = []
for i, plan in enumerate(plans):
    title = f"{ui.md_escape(plan.label)}: {plan.kind}, layout '{ui.md_escape(plan.mapping.preset)}'"
    with st.expander(title, expanded=len(plans) == 1):
        sample = ingest.preview(store, plan, 10)
        personal = pii.detect(ingest.preview(store, plan, 200), plan.kind)
        for column in personal:  # shown masked, as they will be treated: never stored in clear
            sample[column] = "•••"
        st.dataframe(sample, hide_index=True, height=220)
        if personal:
            st.caption("Personal data, masked here: " + ", ".join(f"'{ui.md_escape(c)}' ({k})"
                                                                  for c, k in personal.items())
                       + ". Customer ids are stored as keyed hashes; the other columns are not stored.")
        if plan.mapping.preset == "olist":
            st.caption("Olist layout: the tables are joined for you; no mapping needed.")
            edited.append(plan)
            continue
        if plan.mapping.preset == "remembered":
            st.caption("This layout was imported into this shop before: its confirmed mapping is "
                       "used. Change any field below if the export changed.")
        kind = st.selectbox("This table holds", presets.KINDS,
                            index=presets.KINDS.index(plan.kind), key=f"kind_{i}_{plan.label}")
        base = ingest.remap(plan, kind=kind, sample=ingest.preview(store, plan, ingest.PROFILE_ROWS)
                            if kind != plan.kind else None)
        sure = base.mapping.confidence
        if sure:
            unsure = [f for f, c in sure.items() if c.confidence != "high"]
            st.caption("Guessed from the column names and values"
                       + (f"; check {', '.join(unsure)} (less sure)." if unsure else ", all with "
                          "high confidence."))
        choice = {}
        cols = st.columns(4)
        for j, (field, required) in enumerate(presets.FIELDS[kind].items()):
            options = [""] + plan.columns
            current = base.mapping.columns.get(field, "")
            why = (f" Guessed ({sure[field].confidence} confidence) from {sure[field].reason}."
                   if field in sure else "")
            mark = {"high": "", "medium": " ?", "low": " ??"}.get(
                sure[field].confidence if field in sure else "high", "")
            choice[field] = cols[j % 4].selectbox(
                field + (" *" if required else "") + mark, options, index=options.index(current),
                help=presets.FIELD_HELP.get(field, "") + why,
                key=f"map_{i}_{plan.label}_{kind}_{field}",
                format_func=lambda c: c or "(not in this file)")
        fmt = st.text_input("Date format (leave empty to detect)", key=f"fmt_{i}_{plan.label}",
                            placeholder="%d/%m/%Y %H:%M")
        try:
            edited.append(ingest.remap(base, columns=choice, date_format=fmt or None))
        except IngestError as err:
            st.error(ui.md_escape(str(err)))


b1, b2, _ = st.columns([1, 1, 4])
check = b1.button("Check (dry run)", key="data_check", use_container_width=True)
go = b2.button("Import", type="primary", key="data_import", use_container_width=True)
if check or go:
    # Plans own temporary files that an import removes: plan again for each run.
    fresh = ingest.plan_paths(store, paths, None if preset == "(detect)" else preset, within=within)
    runs = [replace(f, mapping=e.mapping, kind=e.kind) for f, e in zip(fresh, edited)]
    bar = st.progress(0.0, text="Starting...")
    try:
        result = ingest.run_import(store, runs, dry_run=check and not go,
                                   progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    except ImportRefused as err:  # nothing written: its report (every rejection) is shown below
        result = err.report
    except IngestError as err:
        bar.empty()
        st.error(ui.md_escape(str(err)))
        st.stop()
    bar.empty()
    uploaded = how == "Upload files"
    st.session_state[LAST] = (store.shop, [] if uploaded and result.accepted and not
                              result.dry_run else [p.name for p in paths], result)
    if not result.dry_run and result.accepted:
        st.cache_data.clear()
        ui.forget_uploads(paths)  # the shop has the data now; the raw copy may hold e-mails
        if uploaded:  # the uploader still holds the files: the rerun must not copy them again
            st.session_state[IMPORTED] |= {f.file_id for f in new}
        st.rerun()  # the shop's cards above count the new rows
show_last([p.name for p in paths])
