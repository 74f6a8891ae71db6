test_statsock_DEPS := statsock
