"""One router per feature; bot.dispatcher assembles them in order."""
