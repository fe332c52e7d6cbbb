"""The use cases: one module per process of the business, plain functions on a database engine,
the clock's `now` and `as_of`, calling the core (`backoffice/`) to decide and the adapters to
read facts, record decisions and perform effects. They import neither Prefect nor tasks or
flows (tests/core/test_layers.py)."""
