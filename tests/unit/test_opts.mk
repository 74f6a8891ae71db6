test_opts_DEPS := opts
