"""Provincial training platforms: the service pulls their public-subject test results."""
