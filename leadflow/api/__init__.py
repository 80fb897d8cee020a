"""What every API endpoint shares: error shape, pagination, throttles, role permissions."""
