"""Source of the Krita plug-in, shipped as package data for `texnet plugins install krita`."""
