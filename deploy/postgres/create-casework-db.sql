-- Casework's own database beside Temporal's, on the same PostgreSQL server.
CREATE DATABASE casework;
