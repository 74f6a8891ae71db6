test_cells_DEPS := cells cpumask
