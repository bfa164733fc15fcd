"""ModelsLab as a provider package: spec, clients, simulator, scenarios and published examples."""
