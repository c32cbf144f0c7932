"""Source of the GIMP 3 plug-in, shipped as package data for `texnet plugins install gimp`."""
