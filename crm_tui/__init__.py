"""crm-tui: a customer-relationship-management system for the terminal."""

__version__ = "0.1.0"
