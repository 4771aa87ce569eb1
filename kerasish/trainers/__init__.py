"""Training loops: compile/fit/evaluate/predict, data adapters, compiled steps."""
