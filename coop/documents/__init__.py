"""Numbered PDFs: purchase orders, member invoices, credit notes, and the sheets
printed on demand (distribution sheet, paper order form, quote comparison,
statement)."""
