"""The organisation tree and its users: the first administrator of a fresh install and bulk imports."""
