"""What every scripted API family shares: the conversation step language, text matching,
and the stepper that moves a scripted object (a run, a batch, a background response) along
its script one read at a time."""
