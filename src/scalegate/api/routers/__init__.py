"""One router per service group, each under :data:`API_PREFIX`."""

#: every service route lives under this prefix
API_PREFIX = "/api/v1"
