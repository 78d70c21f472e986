export {}

