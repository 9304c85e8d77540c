"""`twistbridge compare`: start the servers, load every mount, write the report."""
