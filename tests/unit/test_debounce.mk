test_debounce_DEPS := debounce
