"""Access policy: who may do what to which secret, evaluated in process and rendered for clouds."""
