mod tags;
