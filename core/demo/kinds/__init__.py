"""Shops of other kinds than the demo shop, generated as the export files a merchant would have.

    grocery.py    a grocery shop's till export: 65,000 products, households re-buying staples
                  (``shoplens demo --kind grocery``; the large-catalog benchmark's shop)
"""
