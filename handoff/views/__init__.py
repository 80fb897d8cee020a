"""The pages of a lead's life: the queue, the lead page, the pipeline, notifications."""
