"""Process definitions, the process adapter registry, and the runtime glue between the
application's tables and the Flask-free engine facade in :mod:`workflows`."""
