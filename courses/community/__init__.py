"""The public's voice: article comments, lesson questions and answers, moderation, spam
guards and the e-mails they send."""
