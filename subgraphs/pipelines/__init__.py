"""pipelines subgraph: owns Pipeline and PipelineStage."""
