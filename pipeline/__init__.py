"""The domain: five steps from speech in one language to the same voice in another."""
