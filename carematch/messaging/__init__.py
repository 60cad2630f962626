"""Secure messages between a client and their care team: conversations with each of their
providers and with the coordinators, read state, notices by email that never carry the
content, and the crisis phrase check on what clients write."""
