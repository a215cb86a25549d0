"""Connectors: ocsim driven from other tools (the EMA Workbench: ``simulation.connectors.ema``)."""
