using Kfac.Examples;
using Kfac.Examples.BayesianClassifier;

// A Bayesian MLP classifier on Fashion-MNIST by noisy K-FAC against K-FAC and Adam point estimates: accuracy,
// log-likelihood and calibration; the command line and the run are in BayesianClassifierCommand. A user error prints
// one line "error: ..." and exits with code 2.
return ExampleMain.Invoke(BayesianClassifierCommand.Create(), args);
