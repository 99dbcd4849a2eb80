"""Identity-provider adapters: manual (a person does it), demo (an embedded directory)."""
