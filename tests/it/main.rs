mod environment;
mod tags;
