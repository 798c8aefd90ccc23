// builder placeholder
