"""Alembic migrations, shipped inside the package.

``HEAD_REVISION`` lets the store skip importing Alembic when the schema is current; a test
checks that it matches the newest script.
"""

HEAD_REVISION = "0007"
