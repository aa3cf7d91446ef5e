"""Continuous emissions monitoring at national scale: HJ 212-2017 packets, hourly quality and annual mass."""
