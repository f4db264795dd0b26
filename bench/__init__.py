"""`make bench`: load and audit benchmarks of a real Boxoffice deployment on this machine.

See bench/README.md. Nothing here is imported by the application.
"""
