"""Writes of the community domain: comments, questions and answers, moderation, e-mail."""
