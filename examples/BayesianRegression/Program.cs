using Kfac.Examples;
using Kfac.Examples.BayesianRegression;

// Bayesian regression on UCI data by noisy natural gradient (Zhang, Sun, Duvenaud and Grosse 2018); the command line
// and the run are in BayesianRegressionCommand. A user error prints one line "error: ..." and exits with code 2.
return ExampleMain.Invoke(BayesianRegressionCommand.Create(), args);
