"""The compliance year: surrender against verified emissions, offset limits, status, penalties."""
