test_demand_DEPS := demand
