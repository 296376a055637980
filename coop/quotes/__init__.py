"""Supplier quotes: requests for quotation by link, offers, counter-offers, comparison, award."""
