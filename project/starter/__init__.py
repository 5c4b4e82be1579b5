"""The experiment starter: copy this folder into your project (see README.md)."""
