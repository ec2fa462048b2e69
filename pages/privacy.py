"""Privacy: consent, one customer's export or erasure, retention, and the audit log."""

import pandas as pd
import streamlit as st

import ui
from core.ingest.checks import normalize_customer_id
from core.privacy import access, erasure
from core.privacy.audit import audit_log
from core.privacy.consent import set_consent
from core.privacy.retention import purge_older_than, purge_preview, retention_days, set_retention_days
from core.privacy.retraining import retrain_notice
from core.recommend import customer
from core.shop import sequences
from core.store import artifacts, pseudonym

store = ui.page_start("pages/privacy.py", "Privacy")
shop = store.shop
st.caption("What the shop holds about people, and the tools to honour their rights: objection to profiling "
           "(GDPR Art. 21), access and portability (Art. 15/20), erasure (Art. 17) and a retention period. "
           "Customer ids are stored only as keyed hashes; the key lives outside the shop's file.")

# -- consent ----------------------------------------------------------------------------------------
total, objecting = store.rows(
    "SELECT count(*), count(*) FILTER (WHERE NOT consent_profiling) FROM customers")[0]
suppressed = store.scalar("SELECT count(*) FROM suppressed")
c1, c2, c3, c4 = st.columns(4)
c1.metric("Customers", f"{total:,}")
c2.metric("Object to profiling", f"{objecting:,}", help="Left out of training, segments, segment exports "
          "and personalised lists; they get best-sellers labelled 'not personalised'.")
c3.metric("Share objecting", f"{objecting / total:.1%}" if total else "-")
c4.metric("Erased (suppressed)", f"{suppressed:,}",
          help="Customers erased: a re-import will not bring them back.")

notice = retrain_notice(store, sequences.fingerprint(store))
if notice:
    why = "; ".join(f"{r['why']} ({r['when'][:10]})" for r in notice["reasons"][-3:])
    st.warning(f"Models trained on data that is gone need retraining: {', '.join(notice['models'])}. "
               f"Why: {why}.")
    st.page_link("pages/model.py", label="Retrain on the Model page", icon=":material/model_training:")

# -- one customer -----------------------------------------------------------------------------------
st.subheader("One customer")
given = st.text_input("Customer id", key=f"priv_id_{shop}",
                      placeholder="the shop's own customer id, or c_...")
if given:
    key = customer.find(store, given) or customer.find(store, normalize_customer_id(given))
    if key is None:
        st.info("This shop holds no customer with that id. Erasing it still stops a later import from "
                "bringing them in.")
        key = given if pseudonym.is_key(given) else pseudonym.pseudonymize(
            store, [normalize_customer_id(given)])[0]
        known = False
        if st.button("Record their objection to profiling, for when they are imported",
                     key=f"priv_object_later_{shop}_{key}"):
            set_consent(store, [key], consent=False)
            st.success("Recorded (as a keyed token): they will be imported as objecting to profiling.")
    else:
        known = True
        consent = bool(store.scalar("SELECT consent_profiling FROM customers WHERE customer_key = ?", [key]))
        events = store.scalar("SELECT count(*) FROM events WHERE customer_key = ?", [key])
        st.markdown(f"Stored as `{key}` · {events:,} events · "
                    f"{'may be profiled' if consent else '**objects to profiling**'}")
        left, right = st.columns(2)
        objects = left.toggle("Objects to profiling", value=not consent, key=f"priv_obj_{shop}_{key}")
        if objects == consent:  # the toggle was changed
            set_consent(store, [key], consent=not objects)
            ui.forget_people()
            st.rerun()
        if right.button("Prepare export (JSON and CSV)", key=f"priv_export_{shop}_{key}",
                        icon=":material/download:"):
            engine = None
            for model in dict.fromkeys([artifacts.latest_id(store) or "itemknn", "itemknn"]):
                try:  # a model trained on data since deleted cannot load: the simple rule then
                    engine = ui.engine(store, model)
                    break
                except (ValueError, RuntimeError, artifacts.ArtifactError):
                    continue
            data = access.export_customer(store, key, engine)
            st.session_state[f"priv_data_{shop}"] = (key, access.to_json(data), access.to_zip(data))
        ready = st.session_state.get(f"priv_data_{shop}")
        if ready and ready[0] == key:
            d1, d2 = st.columns(2)
            d1.download_button("Download JSON", ready[1], file_name=f"{key}.json", mime="application/json",
                               key=f"priv_dl_json_{key}")
            d2.download_button("Download CSV files (zip)", ready[2], file_name=f"{key}.zip",
                               mime="application/zip", key=f"priv_dl_zip_{key}")
    with st.expander("Erase this customer", expanded=False):
        st.write("Removes every row of theirs from every table, cuts them out of segment maps, marks the "
                 "models trained on their data for retraining, rewrites the shop's file so nothing can be "
                 "read back, and keeps only a keyed token so that a re-import does not bring them back.")
        sure = st.checkbox("I understand this cannot be undone", key=f"priv_sure_{shop}_{key}")
        if st.button("Erase", type="primary", disabled=not sure, key=f"priv_erase_{shop}_{key}",
                     icon=":material/delete_forever:"):
            with st.spinner("Erasing and rewriting the shop's file..."):
                result = erasure.erase(store, [key])
            st.session_state.pop(f"priv_data_{shop}", None)  # their export, if prepared
            ui.forget_people()
            st.session_state[f"priv_erased_{shop}"] = (
                f"Erased: {', '.join(f'{n:,} {t}' for t, n in result.rows.items())} removed in "
                f"{result.seconds:.1f}s" + (" (they were not in the shop)." if not known else "."))
            st.session_state.pop(f"priv_id_{shop}", None)
            st.rerun()
done = st.session_state.pop(f"priv_erased_{shop}", None)
if done:
    st.success(done)

# -- retention ---------------------------------------------------------------------------------------
st.subheader("Retention")
current = retention_days(store)
r1, r2 = st.columns([1, 2])
keep = r1.toggle("Delete events after a retention period", value=current is not None, key=f"priv_keep_{shop}")
days = r2.number_input("Keep events for (days)", 30, 36_500, current or 730, step=30, disabled=not keep,
                       key=f"priv_days_{shop}")
wanted = int(days) if keep else None
if wanted != current:
    set_retention_days(store, wanted)
    st.rerun()
if current:
    old, cutoff = purge_preview(store, current)
    st.caption(f"{old:,} events are older than {cutoff:%Y-%m-%d} (the retention period of {current:,} days).")
    if old and st.button(f"Delete those {old:,} events now", key=f"priv_purge_{shop}"):
        with st.spinner("Deleting and rewriting the shop's file..."):
            purge_older_than(store, current)
        ui.forget_people()
        st.rerun()

# -- audit ---------------------------------------------------------------------------------------------
st.subheader("Audit log")
log_frame = audit_log(store)
if log_frame.empty:
    st.caption("Nothing yet: erasures, exports, consent changes and purges are recorded here, without "
               "personal data.")
else:
    st.dataframe(pd.DataFrame(log_frame), hide_index=True)
