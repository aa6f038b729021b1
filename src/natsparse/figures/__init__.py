"""natsparse.figures — what the book draws: one style (`style`), HTML tables (`tables`), and one
module of figures per chapter family (`deterministic`, `gaussian`, `kernel`, `real_model`,
`condensation`). Each computes what it draws through the public API or takes the JSON the
benchmarks write; nothing is a number typed by hand. matplotlib loads only with a figure module.
"""
