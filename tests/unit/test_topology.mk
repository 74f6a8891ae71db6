test_topology_DEPS := topology cpumask
