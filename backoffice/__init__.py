"""The domain core of the training back office: pure functions and value types.

The pipeline, as the nightly flow runs it:
1. ingest the platform export (trainers, clients, programmes, sessions, trainees, PECs, attendance);
2. reconcile received PECs with sessions and give the green light;
3. generate the documents (convention, programme, devis, convocations, attendance sheets, certificats);
4. invoice the funders, 5. match their bank payments, 6. pay the trainers.

This package imports the standard library only: no database, no files, no network, no framework
(a test enforces it). Adapters and Prefect tasks do the I/O around it.
"""
