test_cgroup_DEPS := cgroup
