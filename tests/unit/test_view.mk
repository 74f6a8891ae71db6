test_view_DEPS := view plan topology cpumask demand
