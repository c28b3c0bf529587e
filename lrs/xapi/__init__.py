"""xAPI rules shared by every store backend: validation, agents, statements, multipart, signatures."""
