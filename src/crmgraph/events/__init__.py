"""Domain events: the transactional outbox and the pub/sub bus."""
