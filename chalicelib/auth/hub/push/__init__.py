"""Push multi-factor authentication for the hub: devices, challenges with number matching."""
