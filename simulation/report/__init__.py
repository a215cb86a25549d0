"""Reports for policy readers: HTML with seaborn figures, built from the results database."""

from simulation.report.build import Report, build_report, write_report

__all__ = ["Report", "build_report", "write_report"]
