"""Authentication shared by the hub and the modules: passwords, throttling."""
